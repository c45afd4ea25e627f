"""Converters for the settings table. The table itself and the functions every reader uses
(``get``, ``image_setting``, ``telos_home``, ...) are in :mod:`telos.config`."""
