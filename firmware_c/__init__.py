"""tinyflash.firmware_c"""
