"""Extranet device configuration: intent, vendor rendering, drivers, transactional push, verification, lab."""
