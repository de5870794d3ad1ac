"""Demo questions and answers, written from the province's administrative-reform news (shared/seeds)."""

# (agency code, topic slug, state, title, question, answer or None, asker name, days ago)
QUESTIONS = [
    ("SO-TNMT", "dat-dai", "published",
     "Thời hạn cấp giấy chứng nhận quyền sử dụng đất lần đầu là bao lâu?",
     "Gia đình tôi nộp hồ sơ đề nghị cấp giấy chứng nhận quyền sử dụng đất lần đầu tại Bộ phận Một cửa "
     "huyện Chư Păh. Xin hỏi thời hạn giải quyết thủ tục đất đai này là bao nhiêu ngày làm việc, và tôi có "
     "thể theo dõi hồ sơ trực tuyến không?",
     "<p>Theo quy định hiện hành, thời hạn giải quyết thủ tục cấp giấy chứng nhận quyền sử dụng đất lần đầu "
     "là không quá <strong>30 ngày làm việc</strong> kể từ ngày nhận đủ hồ sơ hợp lệ (không kể thời gian "
     "niêm yết công khai và thời gian thực hiện nghĩa vụ tài chính).</p><p>Ông/bà có thể tra cứu tình trạng "
     "hồ sơ bằng mã hồ sơ in trên giấy tiếp nhận tại Cổng dịch vụ công của tỉnh.</p>",
     "Rơ Châm H'Lan", 12),
    ("SO-VHTTDL", "van-hoa", "published",
     "Thủ tục cấp giấy phép tổ chức lễ hội truyền thống ở Đắk Lắk và Gia Lai có khác nhau không?",
     "Tôi muốn tổ chức lễ hội cồng chiêng tại buôn làng. Thủ tục cấp phép có nộp trực tuyến được không "
     "và cần những giấy tờ gì?",
     "<p>Thủ tục đăng ký tổ chức lễ hội truyền thống thuộc thẩm quyền của Sở Văn hóa, Thể thao và Du lịch "
     "được cung cấp dưới dạng <em>dịch vụ công trực tuyến mức độ 4</em>.</p><ul><li>Văn bản đăng ký tổ chức "
     "lễ hội;</li><li>Chương trình, kịch bản lễ hội;</li><li>Phương án bảo đảm an ninh, trật tự.</li></ul>"
     "<p>Mỗi tỉnh ban hành quy định riêng về phân cấp, vì vậy ông/bà nên liên hệ Bộ phận tiếp nhận và trả "
     "kết quả tại Trung tâm Phục vụ hành chính công tỉnh để được hướng dẫn cụ thể.</p>",
     "Ksor Y Blu", 9),
    ("SO-NV", "noi-vu", "published",
     "Nộp hồ sơ thi tuyển công chức qua dịch vụ bưu chính công ích được không?",
     "Tôi ở xa trung tâm tỉnh. Xin hỏi tôi có thể gửi hồ sơ dự tuyển công chức qua Bưu điện thay vì nộp "
     "trực tiếp tại Sở Nội vụ không?",
     "<p>Có. Sở Nội vụ tiếp nhận hồ sơ qua <strong>dịch vụ bưu chính công ích</strong> và qua Cổng dịch vụ "
     "công trực tuyến. Thời hạn nộp hồ sơ được tính theo dấu bưu điện.</p>",
     "Nguyễn Văn Thành", 6),
    ("UBND-PLEIKU", "ho-tich", "published",
     "Đăng ký khai sinh cho con trực tuyến cần chuẩn bị gì?",
     "Vợ tôi vừa sinh cháu tại bệnh viện tỉnh. Tôi muốn đăng ký khai sinh trực tuyến, xin hỏi cần chuẩn bị "
     "giấy tờ gì và mất bao lâu?",
     "<p>Ông chuẩn bị bản chụp giấy chứng sinh và giấy tờ tùy thân của cha, mẹ; đăng nhập Cổng dịch vụ công "
     "và nộp hồ sơ liên thông đăng ký khai sinh – đăng ký thường trú – cấp thẻ bảo hiểm y tế.</p>"
     "<p>Kết quả được trả trong ngày làm việc nếu hồ sơ hợp lệ.</p>",
     "Trần Quốc Đạt", 3),
    ("SO-TTTT", "thong-tin-truyen-thong", "published",
     "Tỷ lệ hồ sơ trực tuyến của tỉnh hiện nay là bao nhiêu?",
     "Tôi đọc báo thấy tỉnh đẩy mạnh dịch vụ công trực tuyến. Xin hỏi tỷ lệ hồ sơ giải quyết trực tuyến "
     "và tỷ lệ đúng hạn hiện nay là bao nhiêu?",
     "<p>Năm qua, tỷ lệ hồ sơ giải quyết <strong>đúng hạn đạt 97,62%</strong>; tỷ lệ dịch vụ công trực tuyến "
     "mức độ 3, 4 phát sinh hồ sơ đạt 93,47%. Các số liệu được công khai hằng tháng trên Cổng thông tin "
     "điện tử của tỉnh.</p>",
     "Lê Minh Khoa", 1),
    ("SO-KHDT", "dau-tu", "assigned",
     "Thủ tục thành lập doanh nghiệp có được giảm phí khi nộp trực tuyến không?",
     "Tôi chuẩn bị thành lập công ty trách nhiệm hữu hạn. Nghe nói nộp hồ sơ trực tuyến được miễn lệ phí, "
     "xin hỏi có đúng không?", None, "Phạm Thị Ngọc", 2),
    ("SO-VHTTDL", "du-lich", "drafted",
     "Điều kiện công nhận điểm du lịch cộng đồng ở làng Đê Kjiêng?",
     "Làng chúng tôi muốn làm du lịch cộng đồng. Xin hỏi điều kiện và hồ sơ đề nghị công nhận điểm du lịch "
     "gồm những gì?", "<p>Bản nháp: điều kiện gồm có kết cấu hạ tầng, dịch vụ ăn uống và nhà vệ sinh…</p>",
     "Đinh Văn Hyun", 4),
    (None, "xay-dung", "submitted",
     "Xin giấy phép xây dựng nhà ở riêng lẻ mất bao lâu?",
     "Tôi muốn xây nhà 3 tầng ở phường Hoa Lư. Xin hỏi thời gian cấp giấy phép xây dựng là bao lâu và nộp "
     "ở đâu?", None, "Võ Thị Mai", 0),
]
