# consistency-dashboard settings written by its DevStack plugin
# (devstack/plugin.sh, stack post-config); clean.sh removes this file.
#
# Where this cloud keeps image-backed root disks, which tenants cannot see
# through the API: "file" (Nova's default file-backed disks), "rbd"
# (devstack-plugin-ceph serving Nova) or "no_live_snapshot" (NOVA_BACKEND=LVM).
# Set CONSISTENCY_DASHBOARD_STORAGE in local.conf to override.
CONSISTENCY_DASHBOARD_STORAGE = "%STORAGE%"
