"""The worker process: holds one parsed model, answers requests, runs scripts in forked children.

Single-threaded on purpose: a `select` loop over the client channel and the run children's
pipes, so forking never happens while another thread holds a lock.
"""

from __future__ import annotations

import gc
import logging
import os
import select
import sys
import time
from pathlib import Path
from typing import Any, Callable

from ifcscript_desktop.core.protocol import RUN_LIMITS, FrameDecoder, ProtocolError, encode, run_reply
from ifcscript_desktop.core.scriptfile import names_properties
from ifcscript_desktop.worker import docs, queries, sandbox, search
from ifcscript_desktop.worker.heap import settle
from ifcscript_desktop.worker.mesh import (BATCH_ELEMENTS, SETTINGS_KEY, Mesher,
                                           ifcopenshell_version)
from ifcscript_desktop.worker.modelindex import ModelIndex
from ifcscript_desktop.worker.modelload import ModelOpenError, OpenedModel, open_model
from ifcscript_desktop.worker.preload import mark_loaded, preloaded, wanted
from ifcscript_desktop.worker.outputs import Quota
from ifcscript_desktop.worker.runs import Run, SpareChild
from ifcscript_desktop.worker.template import Template, TemplateGone

log = logging.getLogger("ifcscript.worker")

NO_FORK = ("Scripts cannot run on this system: the sandbox needs os.fork to run each script in a "
           "copy of the worker (Linux and macOS have it; Windows does not yet).")


class Worker:
    def __init__(self, in_fd: int, out_fd: int) -> None:
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.decoder = FrameDecoder()
        self.opened: OpenedModel | None = None
        self.index: ModelIndex | None = None
        self.template: Template | None = None  # forks the run children (worker.template)
        self.properties_built = False  # the template holds the property rows
        self.ran = False  # whether a run's data ever reached this process
        self.spare: SpareChild | None = None
        self.run: Run | None = None
        self.run_memory_mb: float | None = None
        self.queue: list[dict[str, Any]] = []  # runs waiting for the current one to end
        self.mesher: Mesher | None = None  # the `mesh` request in flight (worker.mesh)
        self.running = True
        self.stats = {"parses": 0, "runs": 0, "property_builds": 0}

    # -- channel -----------------------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        view = memoryview(encode(message))
        while view:
            try:
                view = view[os.write(self.out_fd, view):]
            except BlockingIOError:
                select.select([], [self.out_fd], [])

    def reply(self, request: dict[str, Any], **fields: Any) -> None:
        self.send({"id": request.get("id"), "done": True, "ok": True, **fields})

    def fail(self, request: dict[str, Any], error: str) -> None:
        self.send({"id": request.get("id"), "done": True, "ok": False, "error": error})

    # -- loop --------------------------------------------------------------------------------
    def serve(self) -> None:
        while self.running:
            template = self.template if self.template and self.template.alive else None
            fds = [self.in_fd] + (self.run.fds() if self.run else [])
            fds += [template.fileno()] if template else []
            fds += [self.mesher.fd] if self.mesher else []
            timeout = self._select_timeout()
            readable, _, _ = select.select(fds, [], [], timeout)
            for fd in readable:
                if fd == self.in_fd:
                    self._read_requests()
                elif template and fd == template.fileno():
                    template.on_readable()
                elif self.mesher and fd == self.mesher.fd:
                    self._on_mesher()
                elif self.run:
                    self.run.on_readable(fd)
            self._check_run()
        self._shutdown()

    def _select_timeout(self) -> float | None:
        if not self.run:
            return None
        return max(0.0, self.run.wake_at() - time.monotonic())

    def _read_requests(self) -> None:
        data = os.read(self.in_fd, 1 << 20)
        if not data:
            self.running = False  # the client went away
            return
        try:
            for request in self.decoder.feed(data):
                self._dispatch(request)
        except ProtocolError as exc:
            log.error("bad frame from client: %s", exc)
            self.running = False

    def _check_run(self) -> None:
        run = self.run
        if not run:
            return
        now = time.monotonic()
        deadline = run.deadline
        if deadline is not None and now >= deadline:
            run.kill("timeout")
        elif now >= run.next_measure:
            run.measure_outputs()
        if run.finished():
            outcome = run.outcome(self.run_memory_mb)
            if run.lost:
                outcome["retire"] = True  # see _start_run: no template may come from here
            self.send(outcome)
            self.run = None
            self._prepare_spare()
            if self.queue:
                self._start_run(self.queue.pop(0))

    # -- requests ----------------------------------------------------------------------------
    def _dispatch(self, request: dict[str, Any]) -> None:
        op = request.get("op")
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            self.fail(request, f"unknown request {op!r}")
            return
        try:
            handler(request)
        except queries.QueryError as exc:  # a sentence for the user
            self.fail(request, str(exc))
        except Exception as exc:  # a bug in a query must not take the model down with it
            log.exception("request %s failed", op)
            self.fail(request, f"The worker could not answer {op!r}: {exc or type(exc).__name__}.")

    def _op_ping(self, request: dict[str, Any]) -> None:
        self.reply(request, pid=os.getpid(), **self.stats, preloaded=preloaded(),
                   properties_built=self.properties_built, ifcopenshell=ifcopenshell_version(),
                   mesh_settings=SETTINGS_KEY, mesher=self.mesher.pid if self.mesher else None)

    def _op_open(self, request: dict[str, Any]) -> None:
        if self.ran:
            # A template forked from here would carry the runs' data into every later run.
            self.fail(request, "This worker has run scripts: open the model in a fresh worker "
                               "(the client does so by itself).")
            return
        self._discard_spare()
        self._close_template()
        self._stop_mesher("Meshing stopped: another model is being opened.")
        self.send({"id": request["id"], "event": "progress", "fraction": 0.0, "message": "Parsing"})
        try:
            opened = open_model(request["path"])
        except ModelOpenError as exc:
            self.fail(request, str(exc))
            return
        self.stats["parses"] += 1
        self.send({"id": request["id"], "event": "progress", "fraction": 0.9, "message": "Indexing"})
        started = time.perf_counter()
        # The property rows cost about a parse again, and the tree and most scripts do not
        # need them: the first run naming `properties` has them made, unless the client said
        # (`properties`) that one will follow: then they are read alongside the index.
        self.opened, self.index = opened, ModelIndex.build(
            opened.model, str(opened.path), properties=bool(request.get("properties")))
        if self.index.properties_built:
            self.stats["property_builds"] += 1
        # Keep the collector away from the model's and index's objects, so run children
        # forked from here do not copy every page of them on their first collection.
        collecting = time.perf_counter()
        gc.collect()
        gc.freeze()
        self.index.timings["collect_s"] = time.perf_counter() - collecting
        info = opened.info(elements=len(self.index.entities))
        info["index_s"] = round(time.perf_counter() - started, 3)
        info["index_phases"] = {k: round(v, 3) for k, v in self.index.timings.items()}
        self.reply(request, info=info)
        # Forked after the reply (the tree need not wait for it) but before this process reads
        # another request: every run child comes from the template, so none inherits what an
        # earlier run sent or received.
        settle()  # and with its free lists sorted, so that they share its heap (worker.heap)
        self._start_template()
        self._prepare_spare()

    def _op_run(self, request: dict[str, Any]) -> None:
        if not self.opened:
            self.fail(request, "No model is open in this worker.")
            return
        if not hasattr(os, "fork"):
            self.fail(request, NO_FORK)
            return
        if self.run:
            self.queue.append(request)
        else:
            self._start_run(request)

    def _start_run(self, request: dict[str, Any]) -> None:
        assert self.opened is not None
        limits = request.get("limits") or {}
        missing = [key for key in RUN_LIMITS if not isinstance(limits.get(key), (int, float))
                   or limits[key] <= 0]
        if missing:  # the client sends the user's settings; the worker has no defaults of its own
            self.send(run_reply(request["id"], "error", "The run was not started: its request "
                                f"lacks the limit(s) {', '.join(missing)}."))
            return
        quota = Quota(int(limits["outputs_max_bytes"]), int(limits["outputs_max_files"]))
        job = {k: request.get(k) for k in ("code", "filename", "params", "granted", "selection",
                                             "previous", "output_dir")}
        job["limits"] = {**limits, "outputs_max_bytes": quota.max_bytes}
        job["model_path"] = str(self.opened.path)
        self.ran = True  # from here on, this process holds run data: no template from it
        try:
            child = self._child_for(str(job["code"] or ""))
            if not child.give(job):
                child.discard()
                child = self._new_spare()
                child.give(job)
            pid = child.pid
        except (TemplateGone, OSError, ValueError) as exc:
            log.error("the run template failed: %s", exc)
            self._close_template()
            self.running = False
            # `retire`: the client starts a fresh worker (and opens the model) for what follows.
            self.send({**run_reply(request["id"], "error",
                                   "The worker's run process ended (out of memory, or stopped "
                                   "from outside); the run did not start. Run it again."),
                       "retire": True})
            return
        self.run_memory_mb = limits.get("memory_mb")
        self.run = Run(request_id=request["id"], child=child, timeout_s=limits.get("timeout_s"),
                       output_cap=int(limits["output_cap"]), send=self.send,
                       output_dir=job.get("output_dir"), quota=quota)
        self.stats["runs"] += 1
        self.send({"id": request["id"], "event": "started", "pid": pid})

    def _op_cancel(self, request: dict[str, Any]) -> None:
        target = request.get("run")
        if self.mesher and self.mesher.request_id == target:
            self._stop_mesher("Meshing was cancelled.", cancelled=True)
        if self.run and self.run.request_id == target:
            self.run.kill("cancelled")
        waiting = [r for r in self.queue if r.get("id") == target]
        for queued in waiting:
            self.queue.remove(queued)
            self.send(run_reply(queued["id"], "cancelled",
                                "The run was cancelled before it started."))
        self.reply(request)

    # -- geometry (worker.mesh) ------------------------------------------------------------------
    def _op_mesh(self, request: dict[str, Any]) -> None:
        if not self.opened:
            self.fail(request, "No model is open in this worker.")
            return
        if not hasattr(os, "fork"):
            self.fail(request, "The 3D view needs os.fork to mesh the model in a copy of the "
                               "worker (Linux and macOS have it; Windows does not yet).")
            return
        if self.mesher:
            self.fail(request, "The model is already being meshed.")
            return
        cache_dir = request.get("cache_dir")
        if not isinstance(cache_dir, str) or not os.path.isabs(cache_dir):
            self.fail(request, "The mesh request needs the absolute path of a cache folder.")
            return
        try:
            os.makedirs(cache_dir, exist_ok=True)
        except OSError as exc:
            self.fail(request, f"The geometry cache folder {cache_dir} cannot be made: "
                               f"{exc.strerror or exc}.")
            return
        batch = request.get("batch_elements")
        batch = min(max(batch, 1), 1_000_000) if isinstance(batch, int) else BATCH_ELEMENTS
        # Tests ask for batches by count alone (`timed_batches` false) to know what is written.
        self.mesher = Mesher(request["id"], self.opened.model, Path(cache_dir), batch,
                             self._mesh_facts(), request.get("timed_batches") is not False)
        self.send({"id": request["id"], "event": "mesh_started", "pid": self.mesher.pid})

    def _mesh_facts(self) -> Callable[[int], str] | None:
        """A product's GlobalId from the index built at open (no attribute read per element)."""
        if self.index is None:
            return None
        entity = self.index.entity

        def facts(step_id: int) -> str:
            record = entity(step_id)
            return (record.ifc_guid or "") if record else ""

        return facts

    def _on_mesher(self) -> None:
        mesher = self.mesher
        assert mesher is not None
        for message in mesher.read():
            if "batch" in message:
                self.send({"id": mesher.request_id, "event": "mesh_batch",
                           "file": message["batch"], "elements": message["elements"],
                           "meshed": message["meshed"], "total": message.get("total")})
        if not mesher.ended:
            return
        mesher.close()
        self.mesher = None
        if mesher.final is None:
            self.fail({"id": mesher.request_id}, "Meshing the model failed: the meshing process "
                                                 "ended early (out of memory?); the worker's log "
                                                 "says more.")
        else:
            self.reply({"id": mesher.request_id}, **mesher.final)

    def _stop_mesher(self, error: str, cancelled: bool = False) -> None:
        mesher, self.mesher = self.mesher, None
        if mesher is None:
            return
        mesher.kill()
        self.send({"id": mesher.request_id, "done": True, "ok": False, "error": error,
                   "cancelled": cancelled})

    def _op_tree(self, request: dict[str, Any]) -> None:
        self.reply(request, nodes=queries.tree(self._model(), request.get("parent"),
                                               request.get("view") or "spatial"))

    def _op_element(self, request: dict[str, Any]) -> None:
        self.reply(request, element=queries.element(self._model(), request["element"]))

    def _op_filter(self, request: dict[str, Any]) -> None:
        try:
            ids = queries.filter_ids(self._model(), request.get("query") or "")
        except queries.QueryError as exc:
            self.fail(request, str(exc))
            return
        self.reply(request, ids=ids)

    def _op_search(self, request: dict[str, Any]) -> None:
        if self.index is None:
            raise RuntimeError("No model is open in this worker.")
        limit = request.get("limit")
        self.reply(request, **search.search(self.index, str(request.get("text") or ""),
                                            limit if isinstance(limit, int) else search.LIMIT))

    def _op_properties(self, request: dict[str, Any]) -> None:
        """Make the property rows now (the window asks once the tree is shown, while the user
        reads it). Before any run, here in the worker, and the template is forked again after:
        reading them in the template instead made it copy ~340 MB of the worker's pages at 100k
        (ifcopenshell fills in what it reads of a model, so a read is a write to shared pages).
        After runs no template may come from this process: the template makes them."""
        if not self.opened or self.index is None:
            self.fail(request, "No model is open in this worker.")
            return
        if not self.properties_built:
            if self.ran:
                self._build_properties(self._ensure_template())
            else:
                self._discard_spare()
                self._close_template()
                self.index.ensure_properties()
                self.stats["property_builds"] += 1
                gc.collect()
                gc.freeze()
                settle()
                self._start_template()
                self._prepare_spare()
        self.reply(request, properties=len(self.index.properties))

    def _op_classes(self, request: dict[str, Any]) -> None:
        self.reply(request, classes=queries.schema_classes(self._model()))

    def _op_doc(self, request: dict[str, Any]) -> None:
        """F1 help: the docstring of an ifcopenshell name (worker.docs); `found` False if none."""
        name = request.get("name")
        schema = str(self.opened.model.schema) if self.opened else None
        found = docs.find_doc(name, schema) if isinstance(name, str) else None
        self.reply(request, found=found is not None, **(found or {}))

    def _op_shutdown(self, request: dict[str, Any]) -> None:
        self.reply(request)
        self.running = False

    def _model(self) -> Any:
        if not self.opened:
            raise RuntimeError("No model is open in this worker.")
        return self.opened.model

    # -- children ----------------------------------------------------------------------------
    def _child_for(self, code: str) -> SpareChild:
        """The child for a run of `code`: the spare, unless the template must first load what
        the code needs (a library it names, the property rows): then a child forked after."""
        template = self._ensure_template()
        names = wanted(code)
        if names:
            self._discard_spare()  # forked without them
            mark_loaded(template.call({"op": "preload", "names": names})["loaded"])
        if not self.properties_built and names_properties(code):
            self._build_properties(template)
        child = self.spare or self._new_spare()
        self.spare = None
        return child

    def _build_properties(self, template: Template) -> None:
        """Make the property rows in the template, once, so this run's child and every later
        one inherit them instead of each making its own."""
        self._discard_spare()  # forked before the rows existed
        started = time.perf_counter()
        timings = template.call({"op": "properties"})["timings"]
        self.properties_built = True
        self.stats["property_builds"] += 1
        log.info("property rows made in %.2f s (%s processes)", time.perf_counter() - started,
                 timings.get("property_processes"))

    def _start_template(self) -> None:
        if self.opened is not None and hasattr(os, "fork"):
            self.template = Template(self.index, self.opened.model)
            self.properties_built = bool(self.index and self.index.properties_built)

    def _ensure_template(self) -> Template:
        if self.template is not None:
            self.template.on_readable()  # an end it already reported is seen before it is used
        if self.template is None or not self.template.alive:
            if self.ran:
                # Forked again from here, it would carry what earlier runs left in this
                # process: this worker stops instead, and the client starts a fresh one.
                self.running = False
                raise TemplateGone("the run template ended after runs; the worker stops")
            self._close_template()
            self._start_template()
        assert self.template is not None
        return self.template

    def _close_template(self) -> None:
        if self.template is not None:
            self.template.close()
            self.template = None

    def _new_spare(self) -> SpareChild:
        return SpareChild(self._ensure_template())

    def _prepare_spare(self) -> None:
        if self.opened and self.spare is None and hasattr(os, "fork"):
            try:
                self.spare = self._new_spare()
            except TemplateGone as exc:
                log.error("the run template failed: %s", exc)
                self._close_template()

    def _discard_spare(self) -> None:
        if self.spare:
            self.spare.discard()
            self.spare = None

    def _shutdown(self) -> None:
        if self.mesher:  # no reply: the client may be gone already
            self.mesher.kill()
            self.mesher = None
        self._discard_spare()
        if self.run:
            self.run.kill("cancelled")
            self.run.child.close()
        self._close_template()


def main() -> int:
    """Run the worker on this process's stdin/stdout."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="worker: %(levelname)s %(message)s")
    # Move the channel off fd 0/1: anything a library prints goes to stderr, never into frames.
    in_fd, out_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sandbox.prepare_sandbox()  # resolved once here instead of in every run child
    Worker(in_fd, out_fd).serve()
    return 0
