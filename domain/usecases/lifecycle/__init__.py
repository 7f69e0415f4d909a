"""One lifecycle for credits and payment extensions, the same for the bot and for staff.

    bot states it      customer says yes        posted to the BSS
    offered ---------> applying ------------->  applied
      | no / timeout      ^   \\---------------> failed (nothing posted; may be decided again)
      v                   |
    withdrawn / expired   | staff approves (within their limit, maybe a changed amount)
                          |
    pending_approval -----+----> rejected (staff, with a reason)
    declined (policy said no; on insistence a case with the proposal)

Modules: ``transitions`` (what may follow what, and the ledger), ``kinds`` (what differs between
a credit and an extension), ``offers`` (the bot: offer, accept, withdraw), ``apply`` (the one apply
path: post under the same key and record the result), ``staff`` (approve, reject) and
``reconcile`` (finish ``applying`` rows, expire old offers).
"""
