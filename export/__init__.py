"""tinyflash.export"""
