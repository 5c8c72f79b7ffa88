"""The Lab tab: Qt forms, jobs and views over :mod:`studio.inspect`."""
