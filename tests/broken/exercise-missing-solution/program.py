print("a lesson program")
