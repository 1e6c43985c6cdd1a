"""Django's MySQL backend with a password that may change while the site runs (`www.mysql.base`)."""
