"""Reviews: review cycles, review packs, decisions and the board report."""
