#!/usr/bin/env python3
"""ci-check.py - what Debian's real cloud-init makes of a NoCloud seed
directory, printed as JSON for the e2e tests (run with the unpacked
cloud-init on PYTHONPATH and the system python).

  ci-check.py SEED_DIR     SEED_DIR is what cloud-init's seed_dir would be
                           (the guest's /var/lib/cloud/seed): its nocloud/
                           is read by the NoCloud datasource itself, the
                           network-config it found is parsed and rendered
                           by cloud-init's eni and networkd renderers.

Prints {"found", "metadata", "userdata", "hostname", "network": {"eni",
"networkd"}}. Nothing is written outside a private temporary directory;
block devices are not probed (fs_label: null).
"""
import json
import os
import sys
import tempfile

from cloudinit import distros, helpers
from cloudinit.net import eni, network_state, networkd
from cloudinit.sources.DataSourceNoCloud import DataSourceNoCloud


def rendered(renderer, ns):
    out, target = {}, tempfile.mkdtemp()
    renderer({}).render_network_state(ns, target=target)
    for root, _, files in os.walk(target):
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, target)] = open(p).read()
    return out


def main():
    tmp = tempfile.mkdtemp()
    paths = helpers.Paths({"cloud_dir": tmp + "/cloud", "run_dir": tmp + "/run"})
    paths.seed_dir = sys.argv[1]
    cfg = {"datasource": {"NoCloud": {"fs_label": None}}}
    ds = DataSourceNoCloud(cfg, distros.fetch("debian")("debian", {}, paths), paths)
    res = {"found": ds._get_data()}
    if res["found"]:
        res["seed"] = ds.seed
        res["metadata"] = ds.metadata
        res["userdata"] = ds.userdata_raw.decode() if isinstance(ds.userdata_raw, bytes) else ds.userdata_raw
        res["hostname"] = ds.get_hostname().hostname
        if ds.network_config:
            ns = network_state.parse_net_config_data(ds.network_config)
            res["network"] = {"eni": rendered(eni.Renderer, ns),
                              "networkd": rendered(networkd.Renderer, ns)}
    json.dump(res, sys.stdout, indent=1, default=str)


main()
