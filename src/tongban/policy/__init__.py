"""政策通: policies broken into items, published, searched, matched to enterprises and delivered."""
