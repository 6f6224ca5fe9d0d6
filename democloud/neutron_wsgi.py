"""Neutron API WSGI entry point for the demo cloud.

neutron 29's ``get_ports`` reads ``Port.port_forwardings`` as a class
attribute.  That attribute is a SQLAlchemy backref declared by
``neutron.db.models.port_forwarding``; it only exists once that module is
imported and the mappers are configured, which a plain API server without
the L3 agents never does before the first port list.  Nova lists ports on
every server show, so without this every ``GET /servers/{id}`` returns 500.
"""
from neutron.db.models import port_forwarding  # noqa: F401
from neutron.wsgi.api import application  # noqa: F401
from sqlalchemy import orm

orm.configure_mappers()
