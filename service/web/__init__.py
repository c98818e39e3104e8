"""The web app for people: server-rendered pages and small plain-JavaScript modules.

Pages read and write through the same JSON API and stream as every other client;
what is here is presentation, language and the log-in flow.
"""
