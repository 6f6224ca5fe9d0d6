"""Calls to OpenStack that Horizon's ``openstack_dashboard.api`` does not
cover, one module per service call family, and how to read their failures."""
