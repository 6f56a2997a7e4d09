print("see the lesson")
