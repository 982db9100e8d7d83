"""Ways to run the shop, all on one lifecycle (``common/lifecycle.py``: start, stop, ``with``,
stopped at interpreter exit):

- ``in_process.py``: the four services in this process, one server thread each (``Shop``);
- ``processes.py``: one OS process per service, optionally zero-code (``ShopProcesses``);
- ``shop_process.py``: the whole shop as one OS process, ``python -m services``
  (``ShopProcess``);
- ``serve_one.py``: the command each service process runs;
- ``apps.py``: which module builds each service's app.

Nothing is imported here.
"""
