"""Loopback emulators (moto server, kmock) used by `awsip sandbox` and the end-to-end tests."""
