"""The reference for the webhook benchmark: a bare Flask endpoint returning a constant TwiML string."""
from flask import Flask, Response

TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Say language="fr-FR" voice="Polly.Lea">'
         "Ce que vous ressentez est fréquent après ce type d'événement.</Say></Response>")

app = Flask(__name__)


@app.post("/voice")
@app.post("/sms")
def constant():
    return Response(TWIML, mimetype="application/xml")
