"""Building blocks of inbound-mail parsing; the public surface is ``intake_email.parsing``."""
