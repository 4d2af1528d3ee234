"""tinyflash.train"""
