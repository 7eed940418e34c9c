"""The durable_rules adapter — the ONLY module that imports ``durable``.

One long-lived :class:`Engine` (a thread-less ``Host``) per compiled ruleset; each evaluation asserts
its facts in one batch under a fresh session id, runs the matched actions inline, and deletes the
session. Actions only record which facts matched; errors are raised, never swallowed. Facts are
normalised first: only ``str`` and ``int`` values (Decimals become millionths upstream, dates
ordinals), a unique ``id`` on every fact, at most 255 properties.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import durable_rules_engine
from durable.engine import Host
from perfrules.engine.errors import PerfRulesError

MAX_PROPERTIES = 255
MAX_INT = 2**53
_BATCH = 1000
# Every session starts with this fact and the rule that matches it: durable_rules aborts the process when
# deleting a session in which no fact was ever stored (every fact unmatched), so one always is.
_SESSION_RULE = "~session"
_SESSION_FACT = {"id": "~session", "t": "~session"}


class EngineError(PerfRulesError, RuntimeError):
    """Raised by :class:`Engine` when durable_rules fails or a fact cannot be given to it."""

    def __init__(self, ruleset: str, reason: str):
        super().__init__(f"rules engine ({ruleset}): {reason}")
        self.ruleset = ruleset
        self.reason = reason


@dataclass(frozen=True)
class Match:
    """One firing: the durable rule's name and the id of the fact bound to each named pattern."""

    rule: str
    facts: Mapping[str, str]


def normalise(fact: Mapping[str, Any], ruleset: str = "") -> dict[str, Any]:
    """Check a fact is safe for the engine: str/int values only (bool → 0/1), ints within ±2**53."""
    if "id" not in fact or not isinstance(fact["id"], str):
        raise EngineError(ruleset, f"fact without a string id: {dict(fact)!r}")
    if len(fact) > MAX_PROPERTIES - 1:
        raise EngineError(ruleset, f"fact {fact['id']} has {len(fact)} properties (limit {MAX_PROPERTIES - 1})")
    out: dict[str, Any] = {}
    for key, value in fact.items():
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, int):
            if abs(value) >= MAX_INT:
                raise EngineError(ruleset, f"fact {fact['id']}: {key}={value} is too large")
        elif not isinstance(value, str):
            raise EngineError(ruleset, f"fact {fact['id']}: {key} is a {type(value).__name__}, not str or int")
        out[key] = value
    return out


class _Host(Host):
    """A durable host without its two timer threads; actions are resolved from the recorder."""

    def __init__(self, recorder: Callable[[str], Callable[[Any], None]]):
        self._recorder = recorder
        super().__init__()

    def _run(self) -> None:  # no timer threads: we never use durable timers and drain actions inline
        pass

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return self._recorder(action_name)


class Engine:
    """A registered ruleset on its own host. Thread-safe: one evaluation at a time (a lock per host)."""

    def __init__(self, name: str, rules: Mapping[str, Mapping[str, Any]]):
        self.name = name
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._matches: list[Match] = []
        self._errors: list[BaseException] = []
        self._host = _Host(self._record)
        try:
            data = json.loads(json.dumps(rules))  # durable mutates what it gets
            data[_SESSION_RULE] = {"all": [{"m": {"t": "~session"}}], "run": _SESSION_RULE}
            self._host.set_rulesets({name: data})
        except Exception as exc:
            raise EngineError(name, f"ruleset rejected: {exc}") from None
        self._ruleset = self._host.get_ruleset(name)

    def _record(self, rule_name: str) -> Callable[[Any], None]:
        def action(c: Any) -> None:
            try:
                bound = {alias: value["id"] for alias, value in c._m.items()} if isinstance(c._m, dict) else {}
                if rule_name != _SESSION_RULE:
                    self._matches.append(Match(rule_name, bound))
            except BaseException as exc:  # surfaced after the call: durable would swallow it
                self._errors.append(exc)

        return action

    def evaluate(self, facts: Sequence[Mapping[str, Any]]) -> list[Match]:
        """Assert ``facts`` in a fresh session and return every firing, in firing order."""
        with self._lock:
            sid = f"s{next(self._sids)}"
            self._matches, self._errors = [], []
            prepared = [dict(normalise(f, self.name), sid=sid) for f in facts]
            if not prepared:
                return []
            prepared.insert(0, dict(_SESSION_FACT, sid=sid))
            try:
                for start in range(0, len(prepared), _BATCH):
                    self._assert(prepared[start : start + _BATCH])
                state = self._ruleset.get_state(sid)
            finally:
                self._ruleset.delete_state(sid)
            if self._errors:
                raise EngineError(self.name, f"action failed: {self._errors[0]!r}")
            if isinstance(state, dict) and state.get("exception"):
                raise EngineError(self.name, f"action failed: {state['exception']}")
            return list(self._matches)

    def _assert(self, batch: list[dict[str, Any]]) -> None:
        try:
            result = durable_rules_engine.assert_facts(self._ruleset._handle, json.dumps(batch, ensure_ascii=False))
        except Exception as exc:  # the C core reports "error code: N"
            raise EngineError(self.name, f"facts rejected: {exc}") from None
        errors: list[Any] = []
        # result[0]: 0 handled, 1 some fact matched no rule (fine for us); result[1]: the state handle
        self._ruleset.do_actions(result[1], lambda error, _state: errors.append(error))
        if errors and errors[0]:
            raise EngineError(self.name, f"action failed: {errors[0]!r}")


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def engine_for(name: str, rules: Mapping[str, Mapping[str, Any]]) -> Engine:
    """The long-lived engine of ruleset ``name`` (created on first use; names include the rulebook digest)."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(name)
        if engine is None:
            engine = _ENGINES[name] = Engine(name, rules)
        return engine
