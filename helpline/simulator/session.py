"""One simulated phone call: request, read the TwiML, play it, ask the caller, follow the next URL.

I/O is injected: `ask(kind, prompt)` returns the caller's next `Step` (or None: the caller hangs up) and
`emit(line)` prints the transcript. `ScriptedCaller` answers from a --script; the CLI's terminal caller
asks a person. The session records what was said and dialled, so tests read it without parsing text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .call import (DIAL, Dial, Gather, Hangup, Pause, Play, Redirect, Say, ScriptError, Step, Unsupported,
                   describe_gather, dial_params, gather_params, parse_voice)
from .client import SimulatorError, Transport, call_params, new_sid

GATHER, TRANSFER = "gather", "dial"


class ScriptedCaller:
    """Answers prompts from a list of steps and writes each answer into the transcript."""

    def __init__(self, steps: list[Step], emit: Callable[[str], None]):
        self.steps, self.emit, self.used = list(steps), emit, 0

    def __call__(self, kind: str, prompt: str) -> Step | None:
        if self.used >= len(self.steps):
            self.emit(f"{prompt} <- (end of script: the caller hangs up)")
            return None
        step = self.steps[self.used]
        self.used += 1
        if (kind == TRANSFER) != (step.kind == DIAL):
            wanted = "a transfer outcome" if kind == TRANSFER else "keys, speech or silence"
            raise ScriptError(f"script step {self.used} ({step}) does not fit: the call waits for {wanted}")
        self.emit(f"{prompt} <- {step}")
        return step

    @property
    def left(self) -> int:
        return len(self.steps) - self.used


@dataclass
class Next:
    url: str
    method: str = "POST"
    params: dict = field(default_factory=dict)


@dataclass
class CallRecord:
    """What happened: every <Say>, every transfer with its outcome, every request, how it ended."""

    said: list[Say] = field(default_factory=list)
    dials: list[tuple[str, str]] = field(default_factory=list)
    requests: list[tuple[str, dict]] = field(default_factory=list)
    ended: str = ""
    error: str = ""
    unused_steps: int = 0

    def spoken(self) -> str:
        return " ".join(s.text for s in self.said)


class CallSession:
    """Walk one inbound call the way Twilio executes TwiML, request after request."""

    def __init__(self, transport: Transport, ask: Callable[[str, str], Step | None],
                 emit: Callable[[str], None], *, caller: str, to: str, max_requests: int = 60):
        self.transport, self.ask, self.emit = transport, ask, emit
        self.caller, self.to, self.max_requests = caller, to, max_requests
        self.sid = new_sid("CA")
        self.record = CallRecord()

    def run(self, path: str = "/voice") -> CallRecord:
        self.emit(f"call {self.sid} from {self.caller} to {self.to}")
        step, status = Next(self.transport.resolve(path)), "ringing"
        for _ in range(self.max_requests):
            shown = " ".join(f"{k}={v}" for k, v in step.params.items() if k != "DialCallSid")
            self.emit(f"> {step.method} {self._short(step.url)}" + (f"  {shown}" if shown else ""))
            self.record.requests.append((step.url, dict(step.params)))
            answer = self.transport.send(step.url, {**call_params(self.sid, self.caller, self.to, status),
                                                    **step.params}, step.method)
            status = "in-progress"
            if answer.status != 200:
                return self._end(f"HTTP {answer.status} from the service (Twilio: 'an application error "
                                 "has occurred', or the number's fallback URL)", error=True)
            step = self.play(parse_voice(answer.text), answer.url)
            if not isinstance(step, Next):
                return self._end(step)
        return self._end(f"more than {self.max_requests} requests: stopped (a loop?)", error=True)

    def play(self, verbs: tuple, current: str) -> Next | str:
        """Execute verbs until one leads to a request (Next) or the call ends (the reason)."""
        for verb in verbs:
            if isinstance(verb, Say | Pause | Play):
                self._show(verb)
            elif isinstance(verb, Gather):
                for prompt in verb.prompts:
                    self._show(prompt)
                answer = self.ask(GATHER, f"  ? {describe_gather(verb)}")
                if answer is None:
                    return "the caller hung up"
                params = gather_params(verb, answer)
                if params is not None:
                    return Next(self.transport.resolve(verb.action, current), verb.method, params)
                self.emit("    (nothing heard: Twilio moves on to the next verb)")
            elif isinstance(verb, Dial):
                target = ", ".join(verb.targets)
                outcome = self.ask(TRANSFER, f"  ~ transfer to {target} ({verb.timeout} s)")
                if outcome is None:
                    return "the caller hung up during the transfer"
                self.record.dials.append((target, outcome.value))
                if verb.action:
                    return Next(self.transport.resolve(verb.action, current), verb.method,
                                dial_params(outcome, new_sid("CA")))
            elif isinstance(verb, Redirect):
                return Next(self.transport.resolve(verb.url, current), verb.method)
            elif isinstance(verb, Hangup):
                return f"<{verb.verb}>"
            elif isinstance(verb, Unsupported):
                self.emit(f"  (<{verb.verb}> is not simulated: skipped)")
        return "no more verbs (Twilio hangs up)"

    def _show(self, verb) -> None:
        if isinstance(verb, Say):
            self.record.said.append(verb)
            self.emit(f"  [{verb.language}] {verb.text}")
        elif isinstance(verb, Pause):
            self.emit(f"  (pause {verb.length} s)")
        elif isinstance(verb, Play):
            self.emit(f"  (plays {verb.url})")

    def _short(self, url: str) -> str:
        base = self.transport.public_url
        return url[len(base):] or "/" if url.startswith(base) else url

    def _end(self, reason: str, *, error: bool = False) -> CallRecord:
        self.record.ended = reason
        self.record.error = reason if error else ""
        self.emit(f"= call ended: {reason}")
        return self.record


def run_script(transport: Transport, script: list[Step], emit: Callable[[str], None], **kwargs) -> CallRecord:
    """A whole call from a script; raises SimulatorError on a step that does not fit."""
    caller = ScriptedCaller(script, emit)
    record = CallSession(transport, caller, emit, **kwargs).run()
    record.unused_steps = caller.left
    if caller.left:
        emit(f"= {caller.left} script step(s) not used")
    return record


__all__ = ["CallRecord", "CallSession", "ScriptedCaller", "SimulatorError", "run_script"]
