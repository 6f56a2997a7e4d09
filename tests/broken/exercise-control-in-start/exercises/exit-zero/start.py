print("[2J")
