"""Four box offices sell tickets and count them in one shared counter, without losing any."""
from multiprocessing import Process, Value

OFFICES = 4
TICKETS_EACH = 50_000


def sell(sold, tickets):
    """Runs in a child process: sell `tickets` tickets, counting each one under the lock."""
    for _ in range(tickets):
        # Only one process at a time may run between the read and the write.
        with sold.get_lock():
            sold.value += 1


if __name__ == "__main__":
    sold = Value("i", 0)
    offices = [Process(target=sell, args=(sold, TICKETS_EACH)) for _ in range(OFFICES)]
    for office in offices:
        office.start()
    for office in offices:
        office.join()
    print(f"tickets sold: {sold.value}")
