"""The labs govctl starts on this machine to rehearse and test against real software: FRR routers in
network namespaces (routers/) and OpenStack services from Debian packages (cloud/)."""
