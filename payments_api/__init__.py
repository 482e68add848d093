"""Outside payment systems: the Crypto Pay API client and its webhook signature, SePay's
webhook, the VietQR (EMVCo) payload, and simulators of both services for tests and demos.
Imports nothing of the project's: the shop uses it as it uses `provider`."""
