"""Outside payment systems: the Crypto Pay API client and its webhook signature, SePay's
webhook and the VietQR (EMVCo) payload (their simulators are in simulators/).
Imports nothing of the project's: the shop uses it as it uses `provider`."""
