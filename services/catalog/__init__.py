"""gov-hub catalog service:

Unit directory, data-resource catalog (政务数据资源目录), mounts, freshness and requirement batches.
"""
