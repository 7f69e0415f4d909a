"""Order status, worded from the order system's facts."""

from __future__ import annotations

from datetime import datetime

from domain.model import Order, OrderStatus
from domain.usecases.deps import Deps


def _day(moment: datetime) -> str:
    return f"{moment:%B} {moment.day}"


def order_line(order: Order) -> str:
    head = f"{order.order_id} ({order.item})"
    if order.status is OrderStatus.SHIPPED:
        parts = [f"{head}: shipped"]
        if order.shipped_at:
            parts[0] += f" on {_day(order.shipped_at)}"
        if order.carrier and order.tracking_number:
            parts.append(f"{order.carrier} tracking number {order.tracking_number}")
        if order.expected_at:
            parts.append(f"expected to arrive by {_day(order.expected_at)}")
        return ", ".join(parts) + "."
    if order.status is OrderStatus.BACKORDERED:
        when = f"; it is expected to ship by {_day(order.expected_at)}" if order.expected_at else ""
        return f"{head}: backordered, waiting for stock{when}."
    if order.status is OrderStatus.DELIVERED:
        return f"{head}: delivered."
    return f"{head}: being processed."


def order_status(deps: Deps, account_id: str, order_id: str | None = None) -> str:
    orders = deps.orders.list_orders(account_id)
    if order_id:
        chosen = [o for o in orders if o.order_id == order_id.upper()]
        if not chosen:
            return f"I don't see an order {order_id.upper()} on your account. " + (
                "Here is what I do see: " + " ".join(order_line(o) for o in orders)
                if orders
                else "There are no open orders on your account."
            )
        orders = chosen
    if not orders:
        return "There are no orders on your account."
    return " ".join(order_line(o) for o in orders)
