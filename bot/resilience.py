"""What Rasa 3.6 does when a part of the stack fails, made sensible (installed by bot.launch).

Measured in Rasa 3.6.21's source and on this stack:
- an unreachable or failing action server makes ``RemoteAction.run`` raise; the processor logs
  it and *drops the action's events*: the customer hears nothing. Here the customer hears an
  apology with a way forward, and the log says which action failed. Our ``action_session_start``
  (it keeps a person's pause) is the exception: dropping its events would keep the expired
  session, verification included, so the session starts here with Rasa's own action instead;
- a tracker store that cannot be imported is silently replaced by an ``InMemoryTrackerStore``
  (a warning only): every conversation would be forgotten on restart and PIN redaction skipped.
  Here Rasa refuses to start;
- a tracker store that fails at run time is wrapped in ``FailSafeTrackerStore``, which answers a
  failed read with a *new, empty* conversation and saves a failed write into memory: the customer
  silently loses who they are. Here every such failure is logged as CRITICAL and the turn stops
  with an apology; the next turn tries the store again, so service comes back by itself.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("bot.resilience")

# Not "nothing has changed": a crash may come after a yes was recorded (the reconciler then
# applies it, once); asking again tells the customer exactly where things stand.
ACTION_TROUBLE = (
    "I'm sorry, I'm having trouble reaching our systems right now, so I can't confirm that. "
    "Please ask me again in a minute and I'll tell you where things stand, or ask for a person."
)
TRACKER_TROUBLE = (
    "I'm sorry, I'm having a technical problem and can't continue our conversation right now. "
    "Please try again in a few minutes; nothing you agreed to will be applied twice."
)


class TrackerStoreUnavailable(Exception):
    """The conversation store failed; the turn must stop rather than continue on nothing."""


async def _session_start_here(output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
    """Rasa's own session start (nothing carried over), keeping a person's pause."""
    from rasa.core.actions.action import ActionSessionStart
    from rasa.shared.core.events import ConversationPaused, SessionStarted

    events = list(await ActionSessionStart().run(output_channel, nlg, tracker, domain))
    if tracker.is_paused():
        started = next(i for i, e in enumerate(events) if isinstance(e, SessionStarted))
        events.insert(started + 1, ConversationPaused())
    return events


def _install_action_apology() -> None:
    from rasa.core.actions import action
    from rasa.shared.core.events import BotUttered

    original = action.RemoteAction.run

    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except action.ActionExecutionRejection:
            raise  # a form's "not this slot": Rasa's own flow
        except Exception as error:
            logger.error(
                "custom action %s failed for conversation %s: %s",
                self.name(),
                tracker.sender_id,
                error,
            )
            if self.name() == action.ACTION_SESSION_START_NAME:
                return await _session_start_here(output_channel, nlg, tracker, domain)
            return [BotUttered(text=ACTION_TROUBLE, data={})]

    action.RemoteAction.run = run


def _install_loud_tracker_store() -> None:
    from rasa.core import processor, tracker_store

    def refuse_fallback(domain: Any, store: Any, event_broker: Any = None) -> Any:
        cls = _class_or_exit(store.type)
        return cls(host=store.url, domain=domain, event_broker=event_broker, **store.kwargs)

    tracker_store._load_from_module_name_in_endpoint_config = refuse_fallback

    def loudly(method_name: str) -> None:
        original = getattr(tracker_store.FailSafeTrackerStore, method_name)

        async def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await getattr(self._tracker_store, method_name)(*args, **kwargs)
            except Exception as error:
                logger.critical(
                    "tracker store %s failed in %s: %s (not falling back to memory)",
                    type(self._tracker_store).__name__,
                    method_name,
                    error,
                )
                raise TrackerStoreUnavailable(str(error)) from error

        guarded.__doc__ = original.__doc__
        setattr(tracker_store.FailSafeTrackerStore, method_name, guarded)

    for name in ("retrieve", "retrieve_full_tracker", "save"):
        loudly(name)

    handle = processor.MessageProcessor.handle_message

    async def handle_message(self: Any, message: Any) -> Any:
        try:
            return await handle(self, message)
        except TrackerStoreUnavailable:
            channel = message.output_channel
            await channel.send_text_message(message.sender_id, TRACKER_TROUBLE)
            return getattr(channel, "messages", None)

    processor.MessageProcessor.handle_message = handle_message


def _class_or_exit(path: str) -> Any:
    import rasa.shared.utils.common

    try:
        return rasa.shared.utils.common.class_from_module_path(path)
    except (AttributeError, ImportError) as error:
        logger.critical("tracker store %s cannot be loaded: %s; refusing to start", path, error)
        raise SystemExit(f"tracker store {path} cannot be loaded: {error}") from error


def install() -> None:
    _install_action_apology()
    _install_loud_tracker_store()
