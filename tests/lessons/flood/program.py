print("a test fixture")
