def main():  # placeholder
    pass
