"""Operation runners of the clusters app: join_node (add a host), rotate_secret / rotate_config."""
