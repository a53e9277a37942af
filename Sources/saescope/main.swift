print("saescope")
