"""`python -m bot` starts the shop bot."""

from bot.config import load_settings


def run() -> None:
    settings = load_settings()  # a bad setting ends here, before the heavy imports
    from bot.runner import main

    main(settings)


if __name__ == "__main__":
    run()
