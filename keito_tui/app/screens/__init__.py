"""The app's screens: onboarding, the main views (modes) and dialogs."""
