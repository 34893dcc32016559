"""Try the helpline without a phone: signed Twilio-shaped requests, a TwiML interpreter, the `simulate` CLI.

`client` signs and sends requests the way Twilio does; `call` turns TwiML into steps (pure, no I/O);
`session` walks a call with those steps; `texting` sends one SMS and reads the local sink's inbox;
`cli` is the `helpline simulate` group.
"""
