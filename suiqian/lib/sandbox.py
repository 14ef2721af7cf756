"""The child side of `files.run_limited`: caps its own memory, runs one parse, answers in JSON on stdout.

Reads from stdin an 8-byte length, a JSON request {"function", "args", "memory"}, then the file's bytes.
"""

import importlib
import json
import resource
import sys


def _cap_memory(extra: int) -> None:
    # Address space already mapped by the interpreter and its libraries, plus what the parse may add.
    with open("/proc/self/status") as f:
        vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (vm + extra, vm + extra))


def main() -> None:
    stdin = sys.stdin.buffer
    length = int.from_bytes(stdin.read(8), "big")
    request = json.loads(stdin.read(length))
    data = stdin.read()
    module, _, name = request["function"].partition(":")
    function = getattr(importlib.import_module(module), name)
    _cap_memory(request["memory"])
    try:
        result = function(data, *request["args"])
    except MemoryError:
        answer = {"memory": True}
    except ValueError as e:  # the parsers' own refusal (ExtractionError, DocumentTypeError …): shown as it is
        answer = {"refused": str(e)}
    else:
        answer = {"result": result}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
