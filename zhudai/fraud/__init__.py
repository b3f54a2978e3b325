"""Real-time anti-fraud: velocity, device/IP/geo checks, lists, probing, rings, model, trends."""
