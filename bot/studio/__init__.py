"""The flow studio (`twitchcheck studio`): a local web page to see, try and test flows while editing them.

Another front end over the engine API, like the shell and the Telegram adapter: it loads flows and
content with `bot.bootstrap`, proves them with `bot.engine.check`, holds conversations with the Engine,
shows them with `bot.content.render` and runs cases with `bot.authoring.cases`. The engine never imports it.

workspace.py  the files being edited: reload on change, keep the last good version
diagram.py    the flow drawn as SVG (a small layered layout, no network, no JavaScript library)
present.py    flows, problems and steps as JSON-ready data for the page
trial.py      "Try it": one turn of a conversation, and saving it as a test case
explain.py    why Try it did what it did (how typed text was read, which rule decided) and where an answer is used
testing.py    "Tests and coverage": every case file and corpus, with bot/authoring/coverage.py
server.py     the tornado application: the page, its JSON API and the live event stream
static/       the page itself (HTML, CSS, plain JavaScript; nothing to build)
"""
