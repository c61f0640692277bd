"""Dedicated-network cutover (专网割接): plan, document, rehearse, run with a journal, roll back."""
