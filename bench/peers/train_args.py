"""Command-line flags shared by torch_train.py and numpy_train.py: the net,
update rule and batch of bench/support/train_nets.h, as scripts/bench-compare
passes them (the same values `simdnet train` gets)."""
import argparse


def parse(doc):
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", choices=["mnist", "cifar10"], required=True)
    ap.add_argument("--hidden", required=True, help="comma-separated widths, e.g. 512 or 100,100")
    ap.add_argument("--batchnorm", action="store_true")
    ap.add_argument("--dropout", type=float, default=0.0, help="DROP probability p in [0, 1)")
    ap.add_argument("--init", choices=["he", "weight_scale"], default="he")
    ap.add_argument("--weight-scale", type=float, default=1e-2)
    ap.add_argument("--update", choices=["sgd", "sgd_momentum"], default="sgd")
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--order", default="", help="epoch order from bench/epoch_order (uint32 file)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shape", required=True, help="benchmark shape name, e.g. b128_784-512-10")
    ap.add_argument("--out", required=True, help="JSON output (Google Benchmark layout)")
    args = ap.parse_args()
    try:
        args.hidden = [int(h) for h in args.hidden.split(",")]
    except ValueError:
        ap.error(f"--hidden {args.hidden!r}: expected comma-separated positive integers")
    if any(h <= 0 for h in args.hidden):
        ap.error(f"--hidden {args.hidden}: every width must be > 0")
    if not 0 <= args.dropout < 1:
        ap.error(f"--dropout {args.dropout}: expected a drop probability in [0, 1)")
    if args.batch < 1:
        ap.error(f"--batch {args.batch}: expected >= 1")
    return args
