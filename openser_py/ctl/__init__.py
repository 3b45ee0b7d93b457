"""Control tools: openserctl, openserdbctl, openserunix."""
