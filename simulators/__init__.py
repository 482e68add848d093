"""Stand-ins for the outside services the shop talks to, served over real HTTP on 127.0.0.1:
an SMM panel (``simulators/panel/``), Crypto Pay (``simulators/cryptopay.py``) and SePay's
webhook sender (``simulators/sepay.py``).

Used by the tests, the benchmarks, the chaos suite and the demo wiring of ``make run``
(``bot/demo.py``), and by nothing else of the bot. They import nothing of ours but the
formats they must speak (``payments_api``); ``tests/test_architecture.py`` checks both.
"""
