#!/bin/bash
# plugin.sh - DevStack plugin for consistency-dashboard (a Horizon plugin).
#
# Every phase runs only where Horizon runs (is_service_enabled horizon): a
# compute subnode sharing this local.conf gets nothing.
#
# stack pre-install : CONSISTENCY_DASHBOARD_BUILD_IMAGE=True: the packages
#                     tools/guest-image/build.sh needs (mmdebstrap and the
#                     Debian archive keyring)
# stack post-config : pip-install this checkout (not editable) into
#                     Horizon's environment, copy the enabled files and the
#                     local_settings.d snippet into Horizon.  stack.sh
#                     installs Horizon itself in configure_horizon, after the
#                     install phase, and runs collectstatic and compress in
#                     init_horizon, after this phase.
# stack extra       : CONSISTENCY_DASHBOARD_DEMO_IMAGE=True: upload the demo
#                     guest image (building it first with BUILD_IMAGE=True)
# unstack           : nothing to stop (the plugin runs inside Horizon)
# clean             : remove what post-config copied; uninstall the package
#                     from DevStack's virtualenv

# The files of consistency_dashboard/enabled that go into Horizon.
function consistency_dashboard_enabled_files {
    local f
    for f in "$CONSISTENCY_DASHBOARD_DIR"/consistency_dashboard/enabled/_*.py; do
        [[ -f "$f" && "$(basename "$f")" != "__init__.py" ]] && echo "$f"
    done
    return 0
}

# The virtualenv pip_install (inc/python) installs into: PIP_VIRTUAL_ENV,
# else DEVSTACK_VENV with GLOBAL_VENV=True; empty for the system Python.
function consistency_dashboard_venv {
    if [[ -n "${PIP_VIRTUAL_ENV:-}" && -d "${PIP_VIRTUAL_ENV}" ]]; then
        echo "$PIP_VIRTUAL_ENV"
    elif [[ "${GLOBAL_VENV:-False}" == "True" && -d "${DEVSTACK_VENV:-}" ]]; then
        echo "$DEVSTACK_VENV"
    fi
}

# The Python of that environment (the system one: pip_install's
# python$PYTHON3_VERSION).
function consistency_dashboard_python {
    local venv
    venv=$(consistency_dashboard_venv)
    if [[ -n "$venv" ]]; then
        echo "$venv/bin/python3"
    else
        echo "python$PYTHON3_VERSION"
    fi
}

# Where this cloud keeps image-backed root disks, as DevStack configured
# Nova: devstack-plugin-ceph sets [libvirt] images_type=rbd when it serves
# Nova (is_ceph_enabled_for_service nova, its config_nova), and
# NOVA_BACKEND=LVM sets images_type=lvm (lib/nova_plugins/hypervisor-libvirt),
# where Nova cannot snapshot live; anything else is file-backed.
function consistency_dashboard_storage {
    if [[ -n "${CONSISTENCY_DASHBOARD_STORAGE:-}" ]]; then
        echo "$CONSISTENCY_DASHBOARD_STORAGE"
    elif type is_ceph_enabled_for_service >/dev/null 2>&1 \
            && is_ceph_enabled_for_service nova; then
        echo rbd
    elif [[ "${NOVA_BACKEND:-}" == "LVM" ]]; then
        echo no_live_snapshot
    else
        echo file
    fi
}

# The demo image goes where stack.sh uploads its own images: the node with
# the database and Glance.
function consistency_dashboard_wants_image {
    # shellcheck disable=SC2086 # a list of services, as stack.sh passes it
    [[ "$CONSISTENCY_DASHBOARD_DEMO_IMAGE" == "True" ]] && is_service_enabled glance \
        && is_service_enabled ${DATABASE_BACKENDS:-mysql postgresql}
}

function install_build_image_packages {
    if is_ubuntu; then
        # On Ubuntu mmdebstrap finds a Debian suite's key only in
        # debian-archive-keyring; Debian has it already.
        install_package mmdebstrap debian-archive-keyring e2fsprogs
    else
        warn $LINENO "consistency-dashboard: building the guest image needs mmdebstrap and the Debian archive keyring; install them by hand"
    fi
}

function install_consistency_dashboard {
    # Not editable: setup.py maps the top-level templates/ and static/ into
    # the package, which only a real install carries.  pip_install picks the
    # environment Horizon was installed into (configure_horizon's
    # setup_develop), so Horizon comes from its checkout, not from PyPI.
    pip_install "$CONSISTENCY_DASHBOARD_DIR"
}

function configure_consistency_dashboard {
    local enabled="$HORIZON_DIR/openstack_dashboard/local/enabled"
    local settings_d="$HORIZON_DIR/openstack_dashboard/local/local_settings.d"
    local storage f env_python
    env_python=$(consistency_dashboard_python)
    storage=$(consistency_dashboard_storage)
    case $storage in
        file | rbd | no_live_snapshot) ;;
        *) die $LINENO "CONSISTENCY_DASHBOARD_STORAGE=$storage: use file, rbd or no_live_snapshot" ;;
    esac
    # OFFLINE=True makes pip_install a no-op; an enabled file naming an app
    # that is not installed would stop collectstatic in init_horizon.
    if ! (cd / && "$env_python" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('consistency_dashboard') is None)"); then
        warn $LINENO "consistency-dashboard is not installed in Horizon's environment (OFFLINE=${OFFLINE:-False}); panels not enabled"
        return 0
    fi
    mkdir -p "$enabled" "$settings_d"
    for f in $(consistency_dashboard_enabled_files); do
        cp "$f" "$enabled/"
    done
    sed -e "s/%STORAGE%/$storage/" "$CONSISTENCY_DASHBOARD_SETTINGS_SNIPPET" \
        >"$settings_d/$(basename "$CONSISTENCY_DASHBOARD_SETTINGS_SNIPPET")"
}

# The guest image directory: built (or reused from build.sh's own cache)
# with BUILD_IMAGE=True, else whatever CONSISTENCY_DASHBOARD_IMAGE_DIR holds.
# A failed build warns: the demo image is an extra, not worth a failed run.
function consistency_dashboard_image_dir {
    local dir="$CONSISTENCY_DASHBOARD_IMAGE_DIR"
    if [[ "$CONSISTENCY_DASHBOARD_BUILD_IMAGE" == "True" ]]; then
        if ! dir=$(sudo_with_proxies CONSISTENCY_CACHE_DIR="$(dirname "$dir")" \
                CONSISTENCY_DEBIAN_MIRROR="${CONSISTENCY_DEBIAN_MIRROR:-http://deb.debian.org/debian}" \
                bash "$CONSISTENCY_DASHBOARD_DIR/tools/guest-image/build.sh" --print-dir); then
            warn $LINENO "consistency-dashboard: tools/guest-image/build.sh failed (see its output above); demo image skipped" >&2
            return 1
        fi
    fi
    if [[ ! -f "$dir/manifest.json" ]]; then
        echo "consistency-dashboard: no guest image in $dir; demo image skipped" \
             "(set CONSISTENCY_DASHBOARD_BUILD_IMAGE=True to build it)" >&2
        return 1
    fi
    echo "$dir"
}

function _consistency_os {
    openstack --os-cloud=devstack-admin --os-region-name="$REGION_NAME" "$@"
}

# The id of a usable image called $1, empty if none.  An upload that died
# leaves a record with no data (queued, or killed by Glance); those copies
# are removed so a re-run uploads the image once instead of beside them.
function _consistency_image_id {
    local name=$1 id status found=""
    while read -r id status; do
        case $status in
            queued | killed)
                echo "consistency-dashboard: removing $name $id ($status, an earlier upload failed)" >&2
                _consistency_os image delete "$id" >&2
                ;;
            *) [[ -z "$found" ]] && found=$id ;;
        esac
    done < <(_consistency_os image list --name "$name" -f value -c ID -c Status)
    echo "$found"
}

# Uploads kernel, initrd and root file system as DevStack's upload_image does
# for a kernel/ramdisk image (functions: plain uploads for aki and ari, the
# root image through _upload_image, which adds --import when
# GLANCE_USE_IMPORT_WORKFLOW=True).  Each of the three is reused when it is
# already there.
function upload_consistency_demo_image {
    local name="$CONSISTENCY_DASHBOARD_IMAGE_NAME" dir cmdline kernel ramdisk
    local import=()
    dir=$(consistency_dashboard_image_dir) || return 0
    if [[ -n "$(_consistency_image_id "$name")" ]]; then
        echo "consistency-dashboard: image $name already exists"
        return 0
    fi
    cmdline=$($PYTHON -c 'import json,sys; print(json.load(open(sys.argv[1]))["kernel_cmdline"])' \
        "$dir/manifest.json")
    kernel=$(_consistency_image_id "$name-kernel")
    if [[ -z "$kernel" ]]; then
        kernel=$(_consistency_os image create "$name-kernel" --public \
            --container-format aki --disk-format aki \
            --file "$(readlink -f "$dir/vmlinuz")" -f value -c id)
    fi
    ramdisk=$(_consistency_image_id "$name-initrd")
    if [[ -z "$ramdisk" ]]; then
        ramdisk=$(_consistency_os image create "$name-initrd" --public \
            --container-format ari --disk-format ari \
            --file "$(readlink -f "$dir/initrd.img")" -f value -c id)
    fi
    if [[ "$GLANCE_USE_IMPORT_WORKFLOW" == "True" ]]; then
        import=(--import)
    fi
    _consistency_os image create "$name" --public \
        --container-format ami --disk-format ami "${import[@]}" \
        --property kernel_id="$kernel" --property ramdisk_id="$ramdisk" \
        --property os_command_line="$cmdline" \
        --property hw_qemu_guest_agent=yes --property os_require_quiesce=yes \
        --file "$(readlink -f "$dir/rootfs.raw")"
}

function clean_consistency_dashboard {
    local enabled="$HORIZON_DIR/openstack_dashboard/local/enabled" f venv
    for f in $(consistency_dashboard_enabled_files); do
        rm -f "$enabled/$(basename "$f")"
    done
    rm -f "$HORIZON_DIR/openstack_dashboard/local/local_settings.d/$(basename "$CONSISTENCY_DASHBOARD_SETTINGS_SNIPPET")"
    # DevStack's pip_uninstall has no GLOBAL_VENV branch: it would run the
    # system pip.  clean.sh leaves system packages alone, so this does too.
    venv=$(consistency_dashboard_venv)
    if [[ -n "$venv" ]]; then
        "$venv/bin/pip" uninstall -y consistency-dashboard || true
    fi
}

if is_service_enabled consistency-dashboard && is_service_enabled horizon; then
    if [[ "$1" == "stack" && "$2" == "pre-install" ]]; then
        if [[ "$CONSISTENCY_DASHBOARD_BUILD_IMAGE" == "True" ]] && consistency_dashboard_wants_image; then
            echo_summary "Installing the packages consistency-dashboard's guest image build needs"
            install_build_image_packages
        fi
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Installing and configuring consistency-dashboard"
        install_consistency_dashboard
        configure_consistency_dashboard
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        if consistency_dashboard_wants_image; then
            echo_summary "Uploading the consistency-dashboard demo image"
            upload_consistency_demo_image
        elif [[ "$CONSISTENCY_DASHBOARD_DEMO_IMAGE" == "True" ]]; then
            echo "consistency-dashboard: no Glance and database on this node; demo image skipped"
        fi
    fi

    if [[ "$1" == "unstack" ]]; then
        :
    fi

    if [[ "$1" == "clean" ]]; then
        clean_consistency_dashboard
    fi
fi
