"""Images: pulls with progress."""


class ImagesMixin:
    pass
