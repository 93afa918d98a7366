"""Connection pieces the Python clients share (holdings.py, bank.py): the connection flags,
the generated stubs, the channel (plaintext, TLS or mutual TLS), the bearer token and the
one-line description of a failed call. Copy this file along with the client you start from.

Needs Debian's python3-grpcio and python3-protobuf and the Python stubs generated from
proto/reserve/v1 (on PYTHONPATH, or named with --gen-dir / RESERVE_PY_GEN); see README.md.
"""

import datetime
import importlib
import os
import sys

RPC_TIMEOUT_S = 30  # one unary call; generous for a loaded server


def add_connection_args(parser, token_help, token_required=False):
    """--address, --token-file, --ca, --cert, --key and --gen-dir."""
    parser.add_argument("--address", default="127.0.0.1:50051", help="host:port of reserved")
    parser.add_argument("--token-file", required=token_required, help=token_help)
    parser.add_argument("--ca", help="PEM CA certificate: use TLS instead of plaintext")
    parser.add_argument("--cert", help="PEM client certificate (mutual TLS, with --key)")
    parser.add_argument("--key", help="PEM client private key (mutual TLS, with --cert)")
    parser.add_argument("--gen-dir", default=os.environ.get("RESERVE_PY_GEN"),
                        help="directory of the generated reserve/v1/*_pb2.py stubs")


def check_connection_args(parser, args):
    """Usage errors in the connection flags (argparse exits 2)."""
    if bool(args.cert) != bool(args.key):
        parser.error("--cert and --key go together")


def parse_date_arg(parser, flag, value):
    """YYYY-MM-DD as a datetime.date; a usage error naming `flag` otherwise."""
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        parser.error(f"{flag}: {value!r} is not a date YYYY-MM-DD")


def import_stubs(gen_dir, *modules):
    """grpc and the named reserve.v1 modules ("inventory_pb2", ...), with `gen_dir` first on
    the path; None (after one line on stderr) when they cannot be imported."""
    if gen_dir:
        sys.path.insert(0, gen_dir)
    try:
        import grpc
        return grpc, [importlib.import_module(f"reserve.v1.{m}") for m in modules]
    except ImportError as e:
        print(f"error: {e}; generate the stubs first (see clients/python/README.md) and put "
              "them on PYTHONPATH or pass --gen-dir", file=sys.stderr)
        return None


def connect_prerequisites(args, *modules):
    """import_stubs(args.gen_dir, *modules) and token_metadata(args.token_file) in one:
    (grpc, [modules], metadata), or None after one line on stderr."""
    stubs = import_stubs(args.gen_dir, *modules)
    if stubs is None:
        return None
    metadata = token_metadata(args.token_file)
    if metadata is None:
        return None
    return stubs[0], stubs[1], metadata


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def token_metadata(token_file):
    """The call metadata carrying the token in `token_file` (first line); [] without a file;
    None (after one line on stderr) when the file cannot be read or is empty."""
    if not token_file:
        return []
    try:
        token = read_file(token_file).decode().strip().splitlines()[0].strip()
    except (OSError, IndexError, UnicodeDecodeError) as e:
        print(f"error: --token-file {token_file}: {e or 'empty'}", file=sys.stderr)
        return None
    return [("authorization", f"Bearer {token}")]


def make_channel(grpc, args):
    """Plaintext to args.address, or TLS with --ca (and mutual TLS with --cert and --key)."""
    if not args.ca:
        return grpc.insecure_channel(args.address)
    creds = grpc.ssl_channel_credentials(
        root_certificates=read_file(args.ca),
        private_key=read_file(args.key) if args.key else None,
        certificate_chain=read_file(args.cert) if args.cert else None)
    return grpc.secure_channel(args.address, creds)


def describe_error(err, error_pb2):
    """'CODE: message [reason=..., field=...]' from a grpc.RpcError."""
    text = f"{err.code().name}: {err.details()}"
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            detail = error_pb2.ErrorDetail()
            try:
                detail.ParseFromString(value)
            except Exception:  # a detail we cannot read does not hide the status itself
                break
            extra = [f"{n}={v}" for n, v in (("reason", detail.reason), ("field", detail.field))
                     if v]
            if extra:
                text += " [" + ", ".join(extra) + "]"
    return text


def proto_date(ledger_pb2, d):
    """A datetime.date as reserve.v1.Date."""
    return ledger_pb2.Date(year=d.year, month=d.month, day=d.day)


def date_text(d):
    """A reserve.v1.Date as YYYY-MM-DD ("" when unset)."""
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}" if d.year else ""
