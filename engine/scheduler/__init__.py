"""The service loop: the rulebook's calendar as APScheduler jobs, run once each, by one leader.

The ONLY package importing ``apscheduler``. Modules: :mod:`.calendar` (rulebook → slots), :mod:`.runner`
(claim and run due slots, catch-up), :mod:`.actions` (what a slot does), :mod:`.build` (the service from
the settings), :mod:`.service` (the APScheduler jobs), :mod:`.jobs` (the job functions), :mod:`.leadership`
and :mod:`.loop` (one leader). This ``__init__`` imports nothing, so no module sees a half-built package.
"""
