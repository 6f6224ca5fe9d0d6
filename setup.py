"""The top-level templates/ and static/ folders ship inside the package as
consistency_dashboard/templates and consistency_dashboard/static, where
Django's app-directories template loader and Horizon's static finder look."""
from setuptools import find_namespace_packages
from setuptools import setup

setup(
    packages=find_namespace_packages(
        include=["consistency_dashboard", "consistency_dashboard.*"]) + [
        "consistency_dashboard.templates", "consistency_dashboard.static"],
    package_dir={
        "consistency_dashboard.templates": "templates",
        "consistency_dashboard.static": "static",
    },
)
