#!/bin/bash
# plugin.sh - DevStack plugin for consistency-dashboard (a Horizon plugin).
#
# stack install     : pip-install this repository into Horizon's environment
# stack post-config : copy the enabled files into Horizon's local/enabled
# stack extra       : collect/compress static files, reload Horizon, and
#                     (CONSISTENCY_DASHBOARD_DEMO_IMAGE=True) upload a demo
#                     guest image with the snapshot-consistency properties
# unstack           : nothing to stop (the plugin runs inside Horizon)
# clean             : remove the enabled files and uninstall the package

function consistency_dashboard_enabled_files {
    local f
    for f in "$CONSISTENCY_DASHBOARD_DIR"/consistency_dashboard/enabled/_*.py; do
        [[ -f "$f" ]] || continue
        [[ "$(basename "$f")" == "__init__.py" ]] && continue
        echo "$f"
    done
}

function install_consistency_dashboard {
    # Non-editable, as an operator installs a released plugin.
    pip_install "$CONSISTENCY_DASHBOARD_DIR"
}

function configure_consistency_dashboard {
    local dest="$HORIZON_DIR/openstack_dashboard/local/enabled" f
    mkdir -p "$dest"
    for f in $(consistency_dashboard_enabled_files); do
        cp "$f" "$dest/"
    done
}

function init_consistency_dashboard {
    if [[ -f "$HORIZON_DIR/manage.py" ]]; then
        (cd "$HORIZON_DIR" && $PYTHON manage.py collectstatic --noinput \
            && $PYTHON manage.py compress --force)
    fi
    if is_service_enabled horizon && type restart_apache_server >/dev/null 2>&1; then
        restart_apache_server
    fi
}

function _consistency_image_id {
    openstack --os-cloud devstack-admin --os-region-name "$REGION_NAME" \
        image show -f value -c id "$1" 2>/dev/null
}

function upload_consistency_demo_image {
    local dir="$CONSISTENCY_DASHBOARD_IMAGE_DIR" name="$CONSISTENCY_DASHBOARD_IMAGE_NAME"
    if [[ ! -f "$dir/manifest.json" ]] && [[ "$CONSISTENCY_DASHBOARD_BUILD_IMAGE" == "True" ]]; then
        sudo -E CONSISTENCY_CACHE_DIR="$(dirname "$dir")" \
            bash "$CONSISTENCY_DASHBOARD_DIR/tools/guest-image/build.sh"
    fi
    if [[ ! -f "$dir/manifest.json" ]]; then
        echo "consistency-dashboard: no guest image in $dir; demo image skipped" \
             "(set CONSISTENCY_DASHBOARD_BUILD_IMAGE=True to build it)"
        return 0
    fi
    if [[ -n "$(_consistency_image_id "$name")" ]]; then
        echo "consistency-dashboard: image $name already exists"
        return 0
    fi
    local cmdline kernel ramdisk
    cmdline=$($PYTHON -c 'import json,sys; print(json.load(open(sys.argv[1]))["kernel_cmdline"])' "$dir/manifest.json")
    local os_image=(openstack --os-cloud devstack-admin --os-region-name "$REGION_NAME" image create --public)
    kernel=$("${os_image[@]}" --disk-format aki --container-format aki \
        --file "$dir/vmlinuz" -f value -c id "$name-kernel")
    ramdisk=$("${os_image[@]}" --disk-format ari --container-format ari \
        --file "$dir/initrd.img" -f value -c id "$name-initrd")
    "${os_image[@]}" --disk-format ami --container-format ami --file "$dir/rootfs.raw" \
        --property kernel_id="$kernel" --property ramdisk_id="$ramdisk" \
        --property os_command_line="$cmdline" \
        --property hw_qemu_guest_agent=yes --property os_require_quiesce=yes \
        "$name"
}

function clean_consistency_dashboard {
    local dest="$HORIZON_DIR/openstack_dashboard/local/enabled" f
    for f in $(consistency_dashboard_enabled_files); do
        rm -f "$dest/$(basename "$f")"
    done
    pip_uninstall consistency-dashboard || true
}

if is_service_enabled consistency-dashboard; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing consistency-dashboard"
        install_consistency_dashboard
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring consistency-dashboard"
        configure_consistency_dashboard
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Initializing consistency-dashboard"
        init_consistency_dashboard
        if [[ "$CONSISTENCY_DASHBOARD_DEMO_IMAGE" == "True" ]]; then
            upload_consistency_demo_image
        fi
    fi

    if [[ "$1" == "unstack" ]]; then
        :
    fi

    if [[ "$1" == "clean" ]]; then
        clean_consistency_dashboard
    fi
fi
