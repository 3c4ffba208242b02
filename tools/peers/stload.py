"""Read a safetensors file into torch tensors without the safetensors
package (Debian's python3-torch does not ship it): an 8-byte little-endian
header length, a JSON header, then the raw little-endian tensor bytes."""

import json
import mmap
import struct

import torch

_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def load_safetensors(path):
    """Return {name: tensor}; tensors share one read-only mapping of the file."""
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    (n,) = struct.unpack("<Q", mm[:8])
    header = json.loads(mm[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name}: dtype {info['dtype']} not supported")
        begin, end = info["data_offsets"]
        if end == begin:
            out[name] = torch.empty(info["shape"], dtype=dtype)
            continue
        # frombuffer on a read-only mmap warns that the tensor is not
        # writable; the weights are never written.
        buf = memoryview(mm)[base + begin : base + end]
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = torch.frombuffer(buf, dtype=dtype)
        out[name] = t.reshape(info["shape"])
    return out


def load_config(folder):
    with open(f"{folder}/config.json") as f:
        return json.load(f)
