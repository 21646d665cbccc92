"""Writers of the rectification ledger: Excel, CSV and printable notices."""
